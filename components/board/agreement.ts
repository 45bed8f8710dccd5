import type { AgreementBand } from '@/lib/consensus-types';

/** Words and colours of the agreement bands; the words are always shown with the colour. */
export const BAND_STYLE: Record<AgreementBand, { label: string; className: string }> = {
  none: { label: 'no agreement', className: 'bg-red-100 text-red-900 ring-red-300' },
  weak: { label: 'weak agreement', className: 'bg-orange-100 text-orange-900 ring-orange-300' },
  moderate: { label: 'moderate agreement', className: 'bg-yellow-100 text-yellow-900 ring-yellow-300' },
  strong: { label: 'strong agreement', className: 'bg-lime-100 text-lime-900 ring-lime-300' },
  'very-strong': {
    label: 'very strong agreement',
    className: 'bg-emerald-100 text-emerald-900 ring-emerald-300',
  },
  'not-enough-scores': {
    label: 'not enough scores',
    className: 'bg-slate-100 text-slate-700 ring-slate-300',
  },
};

export const fmt = (n: number | null, digits = 1): string => (n === null ? '–' : n.toFixed(digits));

/** Stable colours for options in charts (colour-blind friendly palette). */
export const OPTION_COLORS = [
  '#1d4ed8',
  '#c2410c',
  '#047857',
  '#7c3aed',
  '#b91c1c',
  '#0e7490',
  '#a16207',
  '#be185d',
];
