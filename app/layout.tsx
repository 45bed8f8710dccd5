import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { LiveAnnouncer } from '@/components/access/announce';
import './globals.css';

export const metadata: Metadata = {
  title: 'Decision Board',
  description:
    'Score options together on weighted criteria, see where the team agrees, and export the decision record.',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Render per request: Next.js puts the nonce of the request's CSP (proxy.ts) on its
  // scripts only while rendering, so a page prerendered at build time would be blocked.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        {children}
        <LiveAnnouncer />
      </body>
    </html>
  );
}
