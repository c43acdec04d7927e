// Rendering a component as the app would: a query client holding a
// signed-in session of a role, tooltips, the confirmation dialog and the
// shortcuts. For the component tests.

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { Tooltip } from 'radix-ui';
import type { ReactNode } from 'react';
import { qk } from '../resources/keys';
import type { Role } from '../api/types';
import { ConfirmProvider } from '../components/ConfirmProvider';
import { CommandsProvider } from '../features/commands/CommandsProvider';
import { makeSession } from './fixtures';

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
}

/** Renders ui signed in with role (null: signed out); returns the query client with the render result. */
export function renderAs(role: Role | null, ui: ReactNode, qc: QueryClient = testQueryClient()) {
  qc.setQueryData(qk.session, role ? makeSession(role) : null);
  const result = render(
    <QueryClientProvider client={qc}>
      <Tooltip.Provider>
        <ConfirmProvider>
          <CommandsProvider>{ui}</CommandsProvider>
        </ConfirmProvider>
      </Tooltip.Provider>
    </QueryClientProvider>,
  );
  return { qc, ...result };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } }));
}
