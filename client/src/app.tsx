import { Container, CssBaseline, ThemeProvider, Typography, createTheme, useMediaQuery } from '@mui/material';
import { useMemo } from 'react';

export function App() {
  const prefersDark = useMediaQuery('(prefers-color-scheme: dark)');
  const theme = useMemo(() => createTheme({ palette: { mode: prefersDark ? 'dark' : 'light' } }), [prefersDark]);
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <Container sx={{ py: 4 }}>
        <Typography variant="h4" component="h1">
          Chainlog
        </Typography>
        <Typography color="text.secondary">Structured, named, logged and chained LLM calls.</Typography>
      </Container>
    </ThemeProvider>
  );
}
