-- A late arrival or an early leave may be justified in part or in whole: the minutes excused
-- (by an accepted justification, or by the office) are kept beside the minutes missed.
ALTER TABLE attendance_marks ADD COLUMN excused_minutes INTEGER NOT NULL DEFAULT 0
    CHECK (excused_minutes >= 0 AND excused_minutes <= minutes_missed);
ALTER TABLE attendance_history ADD COLUMN old_excused_minutes INTEGER;
ALTER TABLE attendance_history ADD COLUMN new_excused_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE absence_notified ADD COLUMN excused_minutes INTEGER NOT NULL DEFAULT 0;

-- Whether a presence counts only with the trainee's own signature of the half-day.
ALTER TABLE school ADD COLUMN presence_needs_signature BOOLEAN NOT NULL DEFAULT FALSE;

-- The most hours of training a school day holds: what a contract's planned hours may count
-- on for days of its group's calendar that have no session yet.
ALTER TABLE school ADD COLUMN school_day_max_minutes INTEGER NOT NULL DEFAULT 480;
