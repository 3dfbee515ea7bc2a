-- How many people each campaign enrolled each day (Paris dates), kept by the imports
-- and the fixture loader in the same transaction as the enrolments. A week's "eligible"
-- figure starts from the people enrolled by its Sunday: a sum over a few days' rows
-- instead of a count over every member (1,000,000 at national scale).
CREATE TABLE campaign_enrolments (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    enrolled_on DATE NOT NULL,
    members     BIGINT NOT NULL CHECK (members >= 0),
    PRIMARY KEY (campaign_id, enrolled_on)
);

INSERT INTO campaign_enrolments (campaign_id, enrolled_on, members)
SELECT campaign_id, (added_at AT TIME ZONE 'Europe/Paris')::date, COUNT(*)
FROM campaign_members
GROUP BY 1, 2;
