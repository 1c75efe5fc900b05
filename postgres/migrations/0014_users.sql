-- 0014: people who sign in with a password, and their sessions
-- (vaxtrace.UserStore). Numbered after the issue that added it, so that
-- migrations written on parallel branches do not collide; migrations are
-- applied by number, each once, and gaps are allowed.
--
-- password_hash is an argon2id PHC string; locked_until and the session
-- times are Unix nanoseconds, created/updated Unix seconds. A session row
-- holds only the SHA-256 of the cookie's secret.
CREATE TABLE users (
	name          text    PRIMARY KEY,
	full_name     text    NOT NULL DEFAULT '',
	role          text    NOT NULL,
	region        text    NOT NULL DEFAULT '',
	place         text    NOT NULL DEFAULT '',
	password_hash text    NOT NULL,
	disabled      boolean NOT NULL DEFAULT false,
	failures      integer NOT NULL DEFAULT 0,
	locked_until  bigint  NOT NULL DEFAULT 0,
	created       bigint  NOT NULL,
	updated       bigint  NOT NULL,
	updated_by    text    NOT NULL DEFAULT ''
);

CREATE TABLE sessions (
	hash    text   PRIMARY KEY,
	"user"  text   NOT NULL REFERENCES users(name),
	created bigint NOT NULL,
	expires bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions ("user");
CREATE INDEX sessions_expires ON sessions (expires);
