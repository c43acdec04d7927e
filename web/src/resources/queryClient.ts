// The app's QueryClient. Lists are fetched once and then kept current by
// events (staleTime Infinity: nothing polls); the event stream invalidates
// them on every reconnect.

import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: Infinity,
        gcTime: 10 * 60_000,
        refetchOnWindowFocus: false,
        refetchOnReconnect: true,
        retry: (count, err) => count < 3 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
        retryDelay: (n) => Math.min(1000 * 2 ** n, 8000),
      },
      mutations: { retry: false },
    },
  });
}
