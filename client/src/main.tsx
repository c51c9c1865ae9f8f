import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { AppTheme } from './app-theme.js';
import { AccessGate } from './features/access/access-gate.js';
import { startAccess } from './features/access/access-session.js';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// The clients are made outside components, once per token (access-session.ts): StrictMode would otherwise open a
// second WebSocket in development.
void startAccess();
createRoot(root).render(
  <StrictMode>
    <AppTheme>
      <AccessGate>
        {(session) => <App key={session.id} queryClient={session.queryClient} trpcClient={session.trpcClient} />}
      </AccessGate>
    </AppTheme>
  </StrictMode>,
);
