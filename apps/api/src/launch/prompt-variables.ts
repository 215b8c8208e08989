import type { Prompt } from '@evalq/db';
import { compilePrompt, type CompiledPrompt } from '@evalq/providers';

/** A stored prompt, compiled (it was checked when created; older ones may not parse). */
export function compileStoredPrompt(prompt: Prompt): CompiledPrompt {
  return compilePrompt({ type: prompt.type, text: prompt.text, messages: prompt.messages });
}

/** The variables a stored prompt uses; null for an older template that does not parse. */
export function promptVariables(prompt: Prompt): string[] | null {
  try {
    return [...compileStoredPrompt(prompt).variables];
  } catch {
    return null;
  }
}
