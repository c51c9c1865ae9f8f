import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { createQueryClient, createTrpcClient } from './trpc.js';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// Created once here, not in a component: StrictMode would otherwise open a second WebSocket in development.
const queryClient = createQueryClient();
const trpcClient = createTrpcClient();
createRoot(root).render(
  <StrictMode>
    <App queryClient={queryClient} trpcClient={trpcClient} />
  </StrictMode>,
);
