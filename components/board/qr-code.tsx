'use client';

import QRCode from 'qrcode';
import { useMemo } from 'react';

/** A QR code drawn as one SVG path from the library's module matrix (no HTML injection). */
export function QrCode({ text, label, size = 176 }: { text: string; label: string; size?: number }) {
  const path = useMemo(() => {
    const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
    let d = '';
    for (let y = 0; y < modules.size; y++) {
      for (let x = 0; x < modules.size; x++) {
        if (modules.get(x, y)) d += `M${x + 2} ${y + 2}h1v1h-1z`;
      }
    }
    return { d, n: modules.size + 4 };
  }, [text]);
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`0 0 ${path.n} ${path.n}`}
      width={size}
      height={size}
      shapeRendering="crispEdges"
      className="rounded bg-white"
    >
      <rect width={path.n} height={path.n} fill="#fff" />
      <path d={path.d} fill="#000" />
    </svg>
  );
}
