-- How many people each campaign enrolled each day (Paris dates), kept by the imports
-- and the fixture loader in the same transaction as the enrolments. A week's "eligible"
-- figure starts from the people enrolled by its Sunday: a sum over a few days' rows
-- instead of a count over every member (1,000,000 at national scale).
CREATE TABLE campaign_enrolments (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    enrolled_on TEXT NOT NULL,
    members     INTEGER NOT NULL CHECK (members >= 0),
    PRIMARY KEY (campaign_id, enrolled_on)
);

-- Enrolments made before this migration: SQLite has no time zones, so the Paris date is
-- taken with the summer offset from April to October and the winter one otherwise (a
-- member enrolled within an hour of midnight on a clock-change weekend may land on the
-- next day).
INSERT INTO campaign_enrolments (campaign_id, enrolled_on, members)
SELECT campaign_id,
       date(added_at, CASE WHEN strftime('%m', added_at) BETWEEN '04' AND '10' THEN '+2 hours' ELSE '+1 hour' END),
       COUNT(*)
FROM campaign_members
GROUP BY 1, 2;
