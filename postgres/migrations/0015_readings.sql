-- 0015: temperature readings, beside the journal and never in it.
--
-- devices maps a monitoring device's name (its MQTT topic level) to a
-- small integer; readings holds one row per device and second: t is Unix
-- seconds, cc hundredths of a degree Celsius (-9000 … 6000 fits smallint).
-- The primary key (device, t) makes a repeated reading a no-op
-- (ON CONFLICT DO NOTHING) and a device's month one index range scan.
CREATE TABLE devices (
	id   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE
);

CREATE TABLE readings (
	device integer  NOT NULL REFERENCES devices (id),
	t      bigint   NOT NULL,
	cc     smallint NOT NULL,
	PRIMARY KEY (device, t)
);
