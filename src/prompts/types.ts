/** Chat messages of one LLM call. */
export interface PromptMessages {
  system: string;
  user: string;
}
