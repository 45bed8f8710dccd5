import { NewDecision } from '@/components/new-decision';

export default function HomePage() {
  return (
    <main className="mx-auto flex min-h-screen max-w-3xl flex-col gap-6 px-5 py-6 sm:justify-center sm:gap-8 sm:px-6 sm:py-12">
      <div className="space-y-4">
        <p className="text-sm font-semibold uppercase tracking-wider text-blue-700">Decision Board</p>
        <h1 className="text-2xl font-bold leading-tight sm:text-5xl">
          Decide together: score the options on weighted criteria, see where the team agrees, and commit the
          decision record.
        </h1>
        <p className="text-slate-700 sm:text-lg">
          Open one board link in a workshop, score Django and Node.js — or any options — live, with blind
          rounds and a reveal. No accounts.
        </p>
      </div>
      <NewDecision />
    </main>
  );
}
