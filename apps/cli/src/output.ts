/** What the CLI prints for a person. Logs (JSON) are for processes; this is for the terminal. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}
