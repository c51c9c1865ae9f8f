/** One chat message, provider-neutral; adapters map it to each API's shape. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
