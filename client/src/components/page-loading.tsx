import { Box, CircularProgress } from '@mui/material';

/** Shown in place of a page while its code loads (the first visit to it only). */
export function PageLoading() {
  return (
    <Box sx={{ display: 'flex', justifyContent: 'center', pt: 8 }}>
      <CircularProgress aria-label="Loading the page" />
    </Box>
  );
}
