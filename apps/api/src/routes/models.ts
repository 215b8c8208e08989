import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { createModel, deleteModel, getModel, listModels, updateModel } from '@evalq/db';
import { checkModelDefinition } from '@evalq/providers';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { presentModel } from '../presenters.js';
import { cursorParam, errors, idSchema, limitParam, pageOf } from '../schemas/common.js';
import { model, modelChangesBody, modelParams, newModelBody } from '../schemas/models.js';

const tags = ['models'];

export function modelRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/models',
      {
        schema: {
          summary: 'Register a model',
          description:
            'The client is chosen by library when it names one (openai, ollama, mock), else by ' +
            'source; a model no client can run is refused. config.api_key_env holds the NAME of ' +
            "the workers' environment variable with the key, never the key.",
          tags,
          body: newModelBody,
          response: { 201: model, ...errors(400, 401, 413, 415) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        checkModelDefinition({ ...body, library: body.library ?? 'unknown' });
        const created = await createModel(ctx.db, body);
        return reply.code(201).send(presentModel(created));
      },
    );

    app.get(
      '/models',
      {
        schema: {
          summary: 'List models',
          tags,
          querystring: z.object({
            name: z.string().max(200).optional().describe('only those with exactly this name'),
            cursor: cursorParam,
            limit: limitParam(100, 1000),
          }),
          response: { 200: pageOf(model), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, name } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const rows = await listModels(ctx.db, { after, limit: limit + 1, name });
        return toPage(rows, limit, (m) => [m.model_id], presentModel);
      },
    );

    app.get(
      '/models/:model_id',
      {
        schema: {
          summary: 'One model',
          tags,
          params: modelParams,
          response: { 200: model, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const found = await getModel(ctx.db, request.params.model_id);
        if (!found) throw new NotFoundError(`model ${request.params.model_id}`);
        return presentModel(found);
      },
    );

    app.patch(
      '/models/:model_id',
      {
        schema: {
          summary: 'Change a model (config, when given, replaces the whole config)',
          tags,
          params: modelParams,
          body: modelChangesBody,
          response: { 200: model, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        const updated = await updateModel(ctx.db, request.params.model_id, request.body, (next) =>
          checkModelDefinition(next),
        );
        return presentModel(updated);
      },
    );

    app.delete(
      '/models/:model_id',
      {
        schema: {
          summary: 'Delete a model that no job or prompt uses',
          tags,
          params: modelParams,
          response: {
            200: z.object({ model_id: idSchema, deleted: z.literal(true) }),
            ...errors(400, 401, 404, 409),
          },
        },
      },
      async (request) => {
        await deleteModel(ctx.db, request.params.model_id);
        return { model_id: request.params.model_id, deleted: true as const };
      },
    );
    done();
  };
}
