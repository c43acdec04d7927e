// Catches a page's render errors (and failed lazy chunk loads) so that the
// header and status bar stay usable.

import { Component, type ReactNode } from 'react';
import { Button } from '../ui';

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunk = /dynamically imported module|Failed to fetch|Importing a module script failed/i.test(error.message);
    return (
      <div className="page-scroll">
        <div className="page">
          <div className="error-note" role="alert">
            <div>
              <strong>{chunk ? 'This page could not be loaded' : 'Something went wrong on this page'}</strong>
              <p>{chunk ? 'KVM Manager may have been updated, or the server is unreachable.' : error.message}</p>
              <Button size="sm" onClick={() => window.location.reload()}>
                Reload
              </Button>
            </div>
          </div>
        </div>
      </div>
    );
  }
}
