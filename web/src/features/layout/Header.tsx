// The header: the navigation's toggle (the sidebar on wide screens, a
// drawer on narrow ones; the pages are linked there), the app's name, the
// shortcut list, and the user menu (who is signed in with which role, their
// sessions, Settings, Log out). It fits in one line from 360 px up.

import { CircleUser, Keyboard, LogOut, Menu, MonitorSmartphone, PanelLeftClose, PanelLeftOpen, ScrollText, Settings } from 'lucide-react';
import { Link, useLocation } from 'wouter';
import { Button, IconButton, Menu as KitMenu, MenuItem, MenuLabel, MenuSeparator } from '../../ui';
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
    <KitMenu
      modal={false}
      align="end"
      trigger={
        <Button variant="ghost" className="user-menu-trigger">
          <CircleUser size={18} aria-hidden />
          <span className="sr-only">User menu:</span>{' '}
          <span className="user-menu-who">
            <span className="user">{user}</span> <RoleBadge role={role} />
          </span>
        </Button>
      }
    >
      <MenuLabel>
        Signed in as <strong>{user}</strong>
        {role ? ` (${role})` : ''}
      </MenuLabel>
      <MenuItem icon={<MonitorSmartphone size={16} />} onSelect={() => navigate('/sessions')}>
        {can('sessions.manage') ? 'Sessions (all users)' : 'My sessions'}
      </MenuItem>
      {can('audit.read') && (
        <MenuItem icon={<ScrollText size={16} />} onSelect={() => navigate('/audit')}>
          Audit log
        </MenuItem>
      )}
      <MenuItem icon={<Settings size={16} />} onSelect={() => navigate('/settings')}>
        Settings
      </MenuItem>
      <MenuSeparator />
      <MenuItem icon={<LogOut size={16} />} onSelect={() => void logout()}>
        Log out
      </MenuItem>
    </KitMenu>
  );
}

/** Shows and hides the navigation: the sidebar on a wide screen, the drawer on a narrow one. */
function NavToggle() {
  const narrow = useMediaQuery(NARROW_QUERY);
  const collapsed = useStore(sidebarCollapsedStore);
  const drawer = useStore(drawerOpenStore);
  const shown = narrow ? drawer : !collapsed;
  return (
    <IconButton
      label="Navigation"
      tip={shown ? 'Hide the navigation' : 'Show the navigation'}
      className="nav-toggle"
      aria-expanded={shown}
      aria-controls={narrow ? undefined : 'sidebar'}
      onClick={() => (narrow ? drawerOpenStore.set(!drawer) : sidebarCollapsedStore.set(!collapsed))}
    >
      {narrow ? <Menu size={20} aria-hidden /> : shown ? <PanelLeftClose size={18} aria-hidden /> : <PanelLeftOpen size={18} aria-hidden />}
    </IconButton>
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
