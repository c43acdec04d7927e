// The header: the navigation's toggle (the sidebar on wide screens, a
// drawer on narrow ones; the pages are linked there), the app's name, the
// shortcut list, and the user menu (who is signed in with which role, their
// sessions, Settings, Log out). It fits in one line from 360 px up.

import { CircleUser, Keyboard, LogOut, Menu, MonitorSmartphone, PanelLeftClose, PanelLeftOpen, ScrollText, Settings } from 'lucide-react';
import { DropdownMenu } from 'radix-ui';
import { Link, useLocation } from 'wouter';
import { IconButton, Tip } from '../../components/IconButton';
import { useStore } from '../../lib/store';
import { RoleBadge } from '../security/RoleBadge';
import { useAccess } from '../security/useAccess';
import { useLogout } from '../security/useLogout';
import { helpStore } from '../commands/CommandsProvider';
import { dashboardReturnStore, drawerOpenStore, NARROW_QUERY, sidebarCollapsedStore, useMediaQuery } from './navState';
import '../security/security.css';
import './layout.css';

function UserMenu() {
  const { user, role, can } = useAccess();
  const [, navigate] = useLocation();
  const logout = useLogout();
  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger className="btn btn-ghost user-menu-trigger">
        <CircleUser size={18} aria-hidden />
        <span className="sr-only">User menu:</span>{' '}
        <span className="user-menu-who">
          <span className="user">{user}</span> <RoleBadge role={role} />
        </span>
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

/** Shows and hides the navigation: the sidebar on a wide screen, the drawer on a narrow one. */
function NavToggle() {
  const narrow = useMediaQuery(NARROW_QUERY);
  const collapsed = useStore(sidebarCollapsedStore);
  const drawer = useStore(drawerOpenStore);
  const shown = narrow ? drawer : !collapsed;
  return (
    <Tip text={shown ? 'Hide the navigation' : 'Show the navigation'}>
      <button
        type="button"
        className="icon-btn nav-toggle"
        aria-label="Navigation"
        aria-expanded={shown}
        aria-controls={narrow ? undefined : 'sidebar'}
        onClick={() => (narrow ? drawerOpenStore.set(!drawer) : sidebarCollapsedStore.set(!collapsed))}
      >
        {narrow ? <Menu size={20} aria-hidden /> : shown ? <PanelLeftClose size={18} aria-hidden /> : <PanelLeftOpen size={18} aria-hidden />}
      </button>
    </Tip>
  );
}

export function Header() {
  const dashboard = useStore(dashboardReturnStore);
  return (
    <header className="header">
      <NavToggle />
      <Link href={dashboard} className="brand" aria-label="KVM Manager: dashboard">
        <img src="/favicon.svg" alt="" width={24} height={24} />
        <span className="brand-name">KVM Manager</span>
      </Link>
      <div className="header-end">
        <IconButton label="Keyboard shortcuts" tip="Keyboard shortcuts (?)" onClick={() => helpStore.set(true)} className="header-shortcuts">
          <Keyboard size={18} aria-hidden />
        </IconButton>
        <UserMenu />
      </div>
    </header>
  );
}
