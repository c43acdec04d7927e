import { useEffect } from 'react';

/** Sets the document title while the calling page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · KVM Manager` : 'KVM Manager';
  }, [title]);
}
