import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { HashRouter, Outlet, Route, Routes } from 'react-router';
import { AppShell } from './components/app-shell.js';
import { NotFoundState } from './components/error-state.js';
import { useConnectionStatus } from './connection-status.js';
import { ChainPage } from './features/chain/chain-page.js';
import { ChainsPage } from './features/chains/chains-page.js';
import { InboxPage } from './features/inbox/inbox-page.js';
import { LogDetailPage } from './features/logs/log-detail-page.js';
import { LogsPage } from './features/logs/logs-page.js';
import { useLiveUpdates } from './live-updates.js';
import { type TrpcClient, trpc } from './trpc.js';

/**
 * Providers and routes. A hash router, so the static bundle works from any host (S3/CloudFront) with no rewrite
 * rules: `#/`, `#/chains`, `#/chains/:chainId`, `#/logs`, `#/logs/:id`. The theme is around it (AppTheme, in main.tsx).
 */
export function App({ queryClient, trpcClient }: { queryClient: QueryClient; trpcClient: TrpcClient }) {
  return (
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <HashRouter>
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<InboxPage />} />
              <Route path="chains" element={<ChainsPage />} />
              <Route path="chains/:chainId" element={<ChainPage />} />
              <Route path="logs" element={<LogsPage />} />
              <Route path="logs/:id" element={<LogDetailPage />} />
              <Route path="*" element={<NotFoundState title="Page not found" message="Nothing lives at this address." backTo={{ label: 'Back to the inbox', to: '/' }} />} />
            </Route>
          </Routes>
        </HashRouter>
      </QueryClientProvider>
    </trpc.Provider>
  );
}

function Layout() {
  useLiveUpdates();
  const connectionStatus = useConnectionStatus();
  return (
    <AppShell connectionStatus={connectionStatus}>
      <Outlet />
    </AppShell>
  );
}
