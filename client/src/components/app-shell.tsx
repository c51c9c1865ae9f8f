import LinkIcon from '@mui/icons-material/Link';
import { AppBar, Box, Button, Container, Toolbar, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { Link as RouterLink, useLocation } from 'react-router';
import type { ConnectionStatus } from '../connection-status.js';
import { ConnectionChip } from './connection-chip.js';

const NAV = [
  { label: 'Inbox', to: '/', isActive: (path: string) => path === '/' },
  { label: 'Chains', to: '/chains', isActive: (path: string) => path === '/chains' || path.startsWith('/chains/') },
  { label: 'Logs', to: '/logs', isActive: (path: string) => path.startsWith('/logs') },
  { label: 'Stats', to: '/stats', isActive: (path: string) => path === '/stats' },
];

/** The app bar (name, navigation, connection state) above the current screen. */
export function AppShell({ connectionStatus, children }: { connectionStatus: ConnectionStatus; children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default' }}>
      <AppBar position="sticky" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
        {/* Four sections and the connection chip fit 375 px: the name gives way to the icon on a phone. */}
        <Toolbar sx={{ gap: { xs: 1, sm: 2 } }}>
          <Box
            component={RouterLink}
            to="/"
            aria-label="Chainlog"
            sx={{ display: 'flex', alignItems: 'center', gap: 1, color: 'inherit', textDecoration: 'none' }}
          >
            <LinkIcon />
            <Typography
              variant="h6"
              component="span"
              sx={{ fontWeight: 700, letterSpacing: 0.3, display: { xs: 'none', sm: 'inline' } }}
            >
              Chainlog
            </Typography>
          </Box>
          <Box component="nav" aria-label="Main" sx={{ display: 'flex', gap: 0.5, flexGrow: 1 }}>
            {NAV.map((item) => {
              const active = item.isActive(pathname);
              return (
                <Button
                  key={item.to}
                  component={RouterLink}
                  to={item.to}
                  color="inherit"
                  aria-current={active ? 'page' : undefined}
                  sx={{
                    minWidth: 0,
                    px: { xs: 0.75, sm: 1.5 },
                    opacity: active ? 1 : 0.8,
                    borderBottom: 2,
                    borderColor: active ? 'currentColor' : 'transparent',
                    borderRadius: 0,
                    transition: 'background-color 250ms',
                  }}
                >
                  {item.label}
                </Button>
              );
            })}
          </Box>
          <ConnectionChip status={connectionStatus} />
        </Toolbar>
      </AppBar>
      <Container component="main" maxWidth="lg" sx={{ py: 3 }}>
        {children}
      </Container>
    </Box>
  );
}
