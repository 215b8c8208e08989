import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

/** deploy/kubernetes/ of this repository. */
export const KUBERNETES_DIR = fileURLToPath(new URL('../../kubernetes/', import.meta.url));

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

/**
 * `kubectl kustomize <dir>` (Debian's kubectl, which embeds kustomize), parsed: the
 * objects `kubectl apply -k <dir>` would send, in order.
 */
export async function renderKustomization(relativeDir: string): Promise<Manifest[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(
      'kubectl',
      ['kustomize', KUBERNETES_DIR + relativeDir],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    ));
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new Error('kubectl is not installed: apt-get install kubectl (.ci/run installs it)');
    }
    throw error;
  }
  return parseAllDocuments(stdout).map((document) => {
    const [error] = document.errors;
    if (error)
      throw new Error(`kubectl kustomize ${relativeDir} printed bad YAML: ${error.message}`);
    return document.toJS() as Manifest;
  });
}
