// The header: the app's name, navigation, the shortcut list, the user, and
// Log out.

import { useQueryClient } from '@tanstack/react-query';
import { Keyboard, LayoutGrid, LogOut, Settings } from 'lucide-react';
import { toast } from 'sonner';
import { Link, useLocation } from 'wouter';
import { api, setCsrfToken } from '../../api/client';
import { qk } from '../../api/cache';
import { statsStore } from '../../api/stats';
import { IconButton } from '../../components/IconButton';
import { overlayStore } from '../shortcuts/ShortcutsProvider';

export function Header({ user }: { user: string }) {
  const qc = useQueryClient();
  const [location, navigate] = useLocation();

  const logout = async () => {
    try {
      await api('/api/v1/logout', { method: 'POST', quiet401: true });
    } catch {
      // Logged out already, or the server is away: forget the session here anyway.
    }
    setCsrfToken(null);
    statsStore.clear();
    qc.clear();
    qc.setQueryData(qk.session, null);
    navigate('/login', { replace: true });
    toast.success('Logged out');
  };

  const nav = (href: string, label: string, Icon: typeof LayoutGrid, active: boolean) => (
    <Link href={href} className={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined}>
      <Icon size={16} aria-hidden />
      {label}
    </Link>
  );

  return (
    <header className="header">
      <Link href="/" className="brand" aria-label="KVM Manager: dashboard">
        <img src="/favicon.svg" alt="" width={24} height={24} />
        <span>KVM Manager</span>
      </Link>
      <nav aria-label="Main" className="nav">
        {nav('/', 'Dashboard', LayoutGrid, location === '/' || location.startsWith('/vms/'))}
        {nav('/settings', 'Settings', Settings, location === '/settings')}
      </nav>
      <div className="header-end">
        <IconButton label="Keyboard shortcuts" tip="Keyboard shortcuts (?)" onClick={() => overlayStore.set(true)}>
          <Keyboard size={18} aria-hidden />
        </IconButton>
        <span className="user" title="Logged in as">
          {user}
        </span>
        <button type="button" className="btn btn-ghost" onClick={() => void logout()}>
          <LogOut size={16} aria-hidden />
          Log out
        </button>
      </div>
    </header>
  );
}
