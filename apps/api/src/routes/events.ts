import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import type { JobKey } from '@evalq/core';
import type { ApiContext } from '../context.js';
import type { FeedEvent } from '../events/progress-feed.js';
import { idParam, errors } from '../schemas/common.js';

/** A client that stops reading is dropped once this much is waiting for it. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const eventsQuery = z.object({
  dataset_id: idParam.optional(),
  model_id: idParam.optional(),
  prompt_id: idParam.optional(),
});

/**
 * GET /v1/events — Server-Sent Events. On connect, the current progress of every
 * unfinished or recently finished job (matching the filters); then an event whenever
 * one changes:
 *
 *   event: progress   data: <progress object>
 *   event: removed    data: {model_id, prompt_id, dataset_id}   (cancelled or deleted)
 *
 * Comment lines every few seconds keep idle connections open. All clients share one
 * poller (ProgressFeed), so a hundred dashboards cost one query per interval.
 */
export function eventRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    const open = new Set<(force?: boolean) => void>();
    // A stream never ends by itself: close them all before the server waits for its
    // connections to finish.
    app.addHook('preClose', (hookDone) => {
      for (const close of [...open]) close(true);
      hookDone();
    });

    app.get(
      '/events',
      {
        schema: {
          summary: 'Progress changes as Server-Sent Events',
          tags: ['jobs'],
          querystring: eventsQuery,
          produces: ['text/event-stream'],
          response: errors(400, 401),
        },
      },
      (request, reply) => {
        const filter = request.query;
        const matches = (job: JobKey) =>
          (filter.dataset_id === undefined || job.dataset_id === filter.dataset_id) &&
          (filter.model_id === undefined || job.model_id === filter.model_id) &&
          (filter.prompt_id === undefined || job.prompt_id === filter.prompt_id);

        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          // The stream is the whole life of the connection: when it ends, so does the
          // socket (a shutting-down server does not wait for it to idle out).
          connection: 'close',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });

        let eventId = 0;
        let closed = false;
        const write = (text: string) => {
          if (closed) return;
          if (raw.writableLength > MAX_BUFFERED_BYTES) {
            request.log.warn('SSE client is not reading; closing its stream');
            close(true);
            return;
          }
          raw.write(text);
        };
        const send = (event: FeedEvent) => {
          if (!matches(event.job)) return;
          eventId += 1;
          write(`id: ${eventId}\nevent: ${event.type}\ndata: ${JSON.stringify(event.job)}\n\n`);
        };

        const heartbeat = setInterval(() => write(': heartbeat\n\n'), ctx.config.eventsHeartbeatMs);
        heartbeat.unref();
        let unsubscribe: () => void = () => undefined;
        // `force`: the server is stopping (it waits for every socket), or the client
        // stopped reading; the socket must go too, not only the stream.
        const close = (force = false) => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          unsubscribe();
          open.delete(close);
          if (!force) {
            raw.end();
            return;
          }
          // Closed once the end is flushed, or after a second if it never is.
          const destroy = () => raw.destroy();
          setTimeout(destroy, 1000).unref();
          raw.end(destroy);
        };
        open.add(close);
        raw.on('close', () => close());

        // Reconnect after 2 s if the connection drops (EventSource honours this).
        write('retry: 2000\n: connected\n\n');
        for (const job of ctx.feed.snapshot()) send({ type: 'progress', job });
        unsubscribe = ctx.feed.subscribe(send);
      },
    );
    done();
  };
}
