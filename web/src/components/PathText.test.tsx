import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PathText, splitPath } from './PathText';

describe('splitPath', () => {
  it('splits after each slash, keeping every character', () => {
    const p = '/var/lib/libvirt/images/web-disk.qcow2';
    expect(splitPath(p)).toEqual(['/', 'var/', 'lib/', 'libvirt/', 'images/', 'web-disk.qcow2']);
    expect(splitPath(p).join('')).toBe(p);
  });
  it('handles a trailing slash, doubled slashes, no slash and nothing', () => {
    expect(splitPath('/srv/vm/')).toEqual(['/', 'srv/', 'vm/']);
    expect(splitPath('a//b')).toEqual(['a/', '/', 'b']);
    expect(splitPath('disk.img')).toEqual(['disk.img']);
    expect(splitPath('')).toEqual([]);
  });
});

describe('PathText', () => {
  it('puts a break opportunity after each slash and leaves the text as it was', () => {
    const { container } = render(
      <span>
        <PathText path="/var/lib/a.img" />
      </span>,
    );
    const span = container.querySelector('span');
    expect(span?.textContent).toBe('/var/lib/a.img');
    expect(span?.querySelectorAll('wbr')).toHaveLength(3);
    expect(span?.innerHTML).toBe('/<wbr>var/<wbr>lib/<wbr>a.img');
  });
});
