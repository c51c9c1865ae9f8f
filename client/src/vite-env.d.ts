/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The tRPC endpoint, e.g. `https://api.example.com/trpc`; same origin `/trpc` when unset. */
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
