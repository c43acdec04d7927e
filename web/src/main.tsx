// Shared styles first, so that feature styles can refine them.
import './styles/base.css';
import './styles/components.css';
import './ui/ui.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createQueryClient } from './resources/queryClient';
import { hostsQuery } from './resources/host/queries';
import { vmsQuery } from './resources/vm/queries';
import { startApplyingSettings } from './features/settings/settings';

startApplyingSettings();

const queryClient = createQueryClient();

// Read the lists while the session is being checked, to save a round trip
// on the first page (a 401 here is harmless: the session check decides).
if (!window.location.pathname.startsWith('/login')) {
  queryClient.query({ ...vmsQuery, retry: false }).catch(() => undefined);
  queryClient.query({ ...hostsQuery, retry: false }).catch(() => undefined);
}

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');

createRoot(root).render(
  <StrictMode>
    <App queryClient={queryClient} />
  </StrictMode>,
);
