import { useEffect, useState } from 'react';

/**
 * The height that fills the rest of the scrolling page below el (a console
 * tab), at least minHeight: measured when the page or the window changes
 * size. A new height for the same top is the same height, so this settles
 * at once.
 */
export function useFillPage(el: React.RefObject<HTMLElement | null>, enabled: boolean, minHeight: number): number | undefined {
  const [height, setHeight] = useState<number>();
  useEffect(() => {
    const node = el.current;
    const scroller = node?.closest<HTMLElement>('.page-scroll');
    if (!node || !scroller || !enabled) return;
    const page = node.closest<HTMLElement>('.page');
    const update = () => {
      const bottom = page ? parseFloat(getComputedStyle(page).paddingBottom) || 0 : 0;
      const top = node.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
      setHeight(Math.max(minHeight, Math.floor(scroller.clientHeight - top - Math.min(bottom, 20))));
    };
    // Observing fires once at the start, too.
    const ro = new ResizeObserver(update);
    ro.observe(scroller);
    if (page) ro.observe(page);
    return () => ro.disconnect();
  }, [el, enabled, minHeight]);
  return height;
}
