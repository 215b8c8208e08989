import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';

type ModelClass = new (data: never) => { validate(): void };

/** The schema of every kind deploy/kubernetes/ uses, by apiVersion and kind. */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/**
 * What is wrong with one manifest object against the Kubernetes or KEDA schema of its
 * kind (kubernetes-models): wrong types, missing fields, bad values, and also fields the
 * schema does not have. Its validators accept unknown fields (the API server would
 * drop them, so a misspelt `imagePulPolicy` would pass unnoticed): the fields the
 * validator reads are recorded, and any field it never read is one the schema does not
 * name. Returns one message per problem; none when the object is valid.
 */
export function schemaProblems(object: Record<string, unknown>): string[] {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = MODELS[key];
  if (!Model)
    return [`${key}: no schema for this apiVersion and kind (a typo, or add it to MODELS)`];
  const read = new Set<string>();
  try {
    tracked(new Model(object as never), '', read).validate();
  } catch (error) {
    return [(error as Error).message];
  }
  return fieldPaths(object, '')
    .filter((path) => !read.has(path))
    .map((path) => `${path}: not a field of ${key}`);
}

function tracked<T>(value: T, path: string, read: Set<string>): T {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const child: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child;
      read.add(`${path}/${key}`);
      return tracked(child, `${path}/${key}`, read);
    },
    has(target, key) {
      if (typeof key === 'string' && Object.hasOwn(target, key)) read.add(`${path}/${key}`);
      return Reflect.has(target, key);
    },
  });
}

/** Every object key in `value`, as a path (/spec/template/spec/containers/0/image). */
function fieldPaths(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => fieldPaths(item, `${path}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    `${path}/${key}`,
    ...fieldPaths(child, `${path}/${key}`),
  ]);
}
