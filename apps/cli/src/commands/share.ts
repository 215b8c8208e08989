import { InvalidArgumentError, type Command } from 'commander';
import type { RevokeResult, ShareResult } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { say } from '../output.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `30m`, `12h`, `7d` (or plain seconds) as seconds. */
function lifetime(value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match)
    throw new InvalidArgumentError(`expected a duration such as 12h or 7d, got "${value}"`);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

export function registerShare(program: Command): void {
  program
    .command('share')
    .description(
      "make a read-only link to a run's results (no API token needed to open it), or revoke them all",
    )
    .argument('<run>', 'the run id')
    .option(
      '--expires-in <duration>',
      'how long the link works, e.g. 12h or 7d (at most 30d)',
      lifetime,
    )
    .option('--revoke', 'revoke every link of the run instead')
    .action(async (run: string, options: { expiresIn?: number; revoke?: boolean }) => {
      const client = clientFromEnv();
      const path = `/v1/runs/${encodeURIComponent(run)}/share`;
      if (options.revoke) {
        const revoked = await client.json<RevokeResult>('DELETE', path);
        say(`${revoked.revoked} link(s) of run ${revoked.id} revoked`);
        return;
      }
      const link = await client.post<ShareResult>(
        path,
        options.expiresIn === undefined ? {} : { expires_in_s: options.expiresIn },
      );
      say(new URL(link.url, client.baseUrl).toString());
      say(`expires ${link.expires_at}; revoke with: evalq share ${run} --revoke`);
    });
}
