import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Suspense, lazy } from 'react';
import { HashRouter, Outlet, Route, Routes, useLocation } from 'react-router';
import { AppShell } from './components/app-shell.js';
import { PageErrorBoundary } from './components/page-error-boundary.js';
import { PageLoading } from './components/page-loading.js';
import { useConnectionStatus } from './connection-status.js';
import { useLiveUpdates } from './live-updates.js';
import { type TrpcClient, trpc } from './trpc.js';

// Each page is a chunk of its own, fetched when first shown: the first view loads the shell and one page, not four.
const InboxPage = lazy(() =>
  import('./features/inbox/inbox-page.js').then((module) => ({ default: module.InboxPage })),
);
const ChainsPage = lazy(() =>
  import('./features/chains/chains-page.js').then((module) => ({ default: module.ChainsPage })),
);
const ChainPage = lazy(() =>
  import('./features/chain/chain-page.js').then((module) => ({ default: module.ChainPage })),
);
const LogsPage = lazy(() => import('./features/logs/logs-page.js').then((module) => ({ default: module.LogsPage })));
const StatsPage = lazy(() =>
  import('./features/stats/stats-page.js').then((module) => ({ default: module.StatsPage })),
);
const LogDetailPage = lazy(() =>
  import('./features/logs/log-detail-page.js').then((module) => ({ default: module.LogDetailPage })),
);
const NotFoundPage = lazy(() =>
  import('./components/error-state.js').then((module) => ({ default: module.NotFoundPage })),
);

/**
 * Providers and routes. A hash router, so the static bundle works from any host (S3/CloudFront) with no rewrite
 * rules: `#/`, `#/chains`, `#/chains/:chainId`, `#/logs`, `#/logs/:id`, `#/stats`. The theme is around it (AppTheme, in main.tsx).
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
              <Route path="stats" element={<StatsPage />} />
              <Route path="*" element={<NotFoundPage />} />
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
  const { key } = useLocation();
  return (
    <AppShell connectionStatus={connectionStatus}>
      {/* Inside the shell: while a page's chunk loads, or when it fails, the app bar and the connection state stay. */}
      <PageErrorBoundary navigation={key}>
        <Suspense fallback={<PageLoading />}>
          <Outlet />
        </Suspense>
      </PageErrorBoundary>
    </AppShell>
  );
}
