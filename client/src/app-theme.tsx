import { CssBaseline, ThemeProvider, createTheme, useMediaQuery } from '@mui/material';
import { type ReactNode, useMemo } from 'react';

/** The MUI theme, light or dark as the system prefers, for the app and the token dialog before it. */
export function AppTheme({ children }: { children: ReactNode }) {
  // noSsr: read the preference on the first render, so a dark system never flashes light.
  const prefersDark = useMediaQuery('(prefers-color-scheme: dark)', { noSsr: true });
  const theme = useMemo(
    () =>
      createTheme({
        palette: {
          mode: prefersDark ? 'dark' : 'light',
          ...(prefersDark ? {} : { background: { default: '#f6f7f9' } }),
        },
        shape: { borderRadius: 8 },
      }),
    [prefersDark],
  );
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      {children}
    </ThemeProvider>
  );
}
