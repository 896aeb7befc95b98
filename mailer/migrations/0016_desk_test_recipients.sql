-- The addresses a team member sends test copies to from the desk (her own and a few colleagues'),
-- remembered per user so the next issue's test goes to the same people.
CREATE TABLE desk_test_recipients (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
