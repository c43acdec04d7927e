// The header: the app's name, navigation (the audit log for admins only),
// the shortcut list, and the user menu (who is signed in with which role,
// their sessions, Log out).

import { CircleUser, Keyboard, LayoutGrid, LogOut, MonitorSmartphone, ScrollText, Settings } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { Link, useLocation } from 'wouter';
import { IconButton } from '../../components/IconButton';
import { RoleBadge } from '../security/RoleBadge';
import { useAccess } from '../security/useAccess';
import { useLogout } from '../security/useLogout';
import { overlayStore } from '../shortcuts/ShortcutsProvider';
import '../security/security.css';

function UserMenu() {
  const { user, role, can } = useAccess();
  const [, navigate] = useLocation();
  const logout = useLogout();
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger className="btn btn-ghost user-menu-trigger">
        <CircleUser size={18} aria-hidden />
        <span className="sr-only">User menu:</span> <span className="user">{user}</span> <RoleBadge role={role} />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="user-menu" align="end" sideOffset={6} collisionPadding={8}>
          <DropdownMenu.Label className="user-menu-label">
            Signed in as <strong>{user}</strong>
            {role ? ` (${role})` : ''}
          </DropdownMenu.Label>
          <DropdownMenu.Item className="user-menu-item" onSelect={() => navigate('/sessions')}>
            <MonitorSmartphone size={16} aria-hidden />
            <span>{can('sessions.manage') ? 'Sessions (all users)' : 'My sessions'}</span>
          </DropdownMenu.Item>
          {can('audit.read') && (
            <DropdownMenu.Item className="user-menu-item" onSelect={() => navigate('/audit')}>
              <ScrollText size={16} aria-hidden />
              <span>Audit log</span>
            </DropdownMenu.Item>
          )}
          <DropdownMenu.Item className="user-menu-item" onSelect={() => navigate('/settings')}>
            <Settings size={16} aria-hidden />
            <span>Settings</span>
          </DropdownMenu.Item>
          <DropdownMenu.Separator className="user-menu-sep" />
          <DropdownMenu.Item className="user-menu-item" onSelect={() => void logout()}>
            <LogOut size={16} aria-hidden />
            <span>Log out</span>
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

export function Header() {
  const [location] = useLocation();
  const { can } = useAccess();

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
        {can('audit.read') && nav('/audit', 'Audit log', ScrollText, location === '/audit')}
        {nav('/settings', 'Settings', Settings, location === '/settings')}
      </nav>
      <div className="header-end">
        <IconButton label="Keyboard shortcuts" tip="Keyboard shortcuts (?)" onClick={() => overlayStore.set(true)}>
          <Keyboard size={18} aria-hidden />
        </IconButton>
        <UserMenu />
      </div>
    </header>
  );
}
