-- Catching a board's session up without reading every score (issue 13): each score row carries
-- the session version of the write that last set it, and a deleted score leaves its key and the
-- version of its deletion. A process whose session was read at version V reads only the scores
-- set or deleted after V (participants, rounds and settings are few and read whole).

ALTER TABLE scores ADD COLUMN sv BIGINT NOT NULL DEFAULT 0;
CREATE INDEX scores_board_sv ON scores (board_id, sv);

-- One row per deleted key (a later deletion of the same key replaces it), so the table is
-- bounded by the scores a board can have had, like the scores table itself.
CREATE TABLE score_deletions (
  board_id TEXT NOT NULL REFERENCES boards(id),
  round_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  criterion_id TEXT NOT NULL,
  option_id TEXT NOT NULL,
  sv BIGINT NOT NULL,
  PRIMARY KEY (board_id, round_id, participant_id, criterion_id, option_id)
);
CREATE INDEX score_deletions_board_sv ON score_deletions (board_id, sv);
