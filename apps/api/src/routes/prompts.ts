import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import {
  createPrompt,
  deletePrompt,
  getPrompt,
  listPrompts,
  movePromptLabels,
  resolvePrompt,
} from '@evalq/db';
import { chatText } from '@evalq/providers';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { presentPrompt } from '../presenters.js';
import { cursorParam, errors, idSchema, limitParam, pageOf } from '../schemas/common.js';
import {
  labelsBody,
  newPromptBody,
  prompt,
  promptListQuery,
  promptParams,
  resolveQuery,
} from '../schemas/prompts.js';

const tags = ['prompts'];

export function promptRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/prompts',
      {
        schema: {
          summary: 'Add a prompt, or a new version of a named prompt',
          description:
            'A text prompt (text) or a chat prompt (messages). With a name that exists, this is ' +
            'its next version (prompts are immutable: a change is a new version). Templates are ' +
            'checked here: an unclosed {{ is a 400 naming the field.',
          tags,
          body: newPromptBody,
          response: { 201: prompt, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const { text, messages, ...rest } = request.body;
        const created = await createPrompt(ctx.db, {
          ...rest,
          type: messages === undefined ? 'text' : 'chat',
          text: messages === undefined ? text! : chatText(messages),
          messages: messages ?? null,
        });
        return reply.code(201).send(presentPrompt(created));
      },
    );

    app.get(
      '/prompts/resolve',
      {
        schema: {
          summary: 'One version of a named prompt: by label, by version, or the latest',
          tags,
          querystring: resolveQuery,
          response: { 200: prompt, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { name, label, version } = request.query;
        const found = await resolvePrompt(ctx.db, name, { label, version });
        if (!found) {
          const which =
            label !== undefined
              ? `holding label ${label}`
              : version !== undefined
                ? `number ${version}`
                : 'at all';
          throw new NotFoundError(`prompt ${name}: no version ${which}`);
        }
        return presentPrompt(found);
      },
    );

    app.post(
      '/prompts/:prompt_id/labels',
      {
        schema: {
          summary: 'Move labels onto (add) or off (remove) a version of a named prompt',
          description:
            'A label is held by one version of a name at a time: adding it here takes it from ' +
            'the version that held it, in the same transaction.',
          tags,
          params: promptParams,
          body: labelsBody,
          response: { 200: prompt, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        const moved = await movePromptLabels(ctx.db, request.params.prompt_id, {
          add: request.body.add ?? [],
          remove: request.body.remove ?? [],
        });
        request.log.info(
          { prompt_id: moved.prompt_id, name: moved.name, labels: moved.labels },
          'prompt labels moved',
        );
        return presentPrompt(moved);
      },
    );

    app.get(
      '/prompts',
      {
        schema: {
          summary: 'List prompts (with name: the versions of that name, oldest first)',
          tags,
          querystring: promptListQuery.extend({
            cursor: cursorParam,
            limit: limitParam(100, 1000),
          }),
          response: { 200: pageOf(prompt), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, model_id, name } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const rows = await listPrompts(ctx.db, { model_id, name }, { after, limit: limit + 1 });
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
