import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { createPrompt, deletePrompt, getPrompt, listPrompts } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { presentPrompt } from '../presenters.js';
import { cursorParam, errors, idSchema, limitParam, pageOf } from '../schemas/common.js';
import { newPromptBody, prompt, promptListQuery, promptParams } from '../schemas/prompts.js';

const tags = ['prompts'];

export function promptRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/prompts',
      {
        schema: {
          summary: 'Add a prompt template',
          tags,
          body: newPromptBody,
          response: { 201: prompt, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const created = await createPrompt(ctx.db, request.body);
        return reply.code(201).send(presentPrompt(created));
      },
    );

    app.get(
      '/prompts',
      {
        schema: {
          summary: 'List prompts',
          tags,
          querystring: promptListQuery.extend({
            cursor: cursorParam,
            limit: limitParam(100, 1000),
          }),
          response: { 200: pageOf(prompt), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, model_id } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const rows = await listPrompts(ctx.db, { model_id }, { after, limit: limit + 1 });
        return toPage(rows, limit, (p) => [p.prompt_id], presentPrompt);
      },
    );

    app.get(
      '/prompts/:prompt_id',
      {
        schema: {
          summary: 'One prompt',
          tags,
          params: promptParams,
          response: { 200: prompt, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const found = await getPrompt(ctx.db, request.params.prompt_id);
        if (!found) throw new NotFoundError(`prompt ${request.params.prompt_id}`);
        return presentPrompt(found);
      },
    );

    app.delete(
      '/prompts/:prompt_id',
      {
        schema: {
          summary: 'Delete a prompt that no job uses',
          tags,
          params: promptParams,
          response: {
            200: z.object({ prompt_id: idSchema, deleted: z.literal(true) }),
            ...errors(400, 401, 404, 409),
          },
        },
      },
      async (request) => {
        await deletePrompt(ctx.db, request.params.prompt_id);
        return { prompt_id: request.params.prompt_id, deleted: true as const };
      },
    );
    done();
  };
}
