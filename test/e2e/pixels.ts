import type { Page } from '@playwright/test';

/** RGBA pixels of a screenshot, decoded in the page (a Blob, not a data: URL, which the CSP refuses). */
export async function decodePNG(page: Page, png: Buffer): Promise<{ width: number; height: number; data: number[] }> {
  return page.evaluate(async (bytes) => {
    const bmp = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    ctx.drawImage(bmp, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bmp.width, bmp.height);
    return { width, height, data: [...data] };
  }, [...png]);
}

/** The distinct colours (as rgb(r,g,b)) in a screenshot. */
export async function colours(page: Page, png: Buffer): Promise<string[]> {
  const { data } = await decodePNG(page, png);
  const seen = new Set<string>();
  for (let i = 0; i < data.length; i += 4) seen.add(`rgb(${data[i]},${data[i + 1]},${data[i + 2]})`);
  return [...seen];
}
