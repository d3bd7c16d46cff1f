-- The admin user list finds users whose email or name starts with what was typed, in any case:
-- `lower(x) like 'prefix%'` becomes a range scan on these (text_pattern_ops compares bytes, so
-- it serves LIKE whatever the database's collation). The two are combined with a BitmapOr.
create index users_email_prefix on users (lower(email) text_pattern_ops);
create index users_name_prefix on users (lower(name) text_pattern_ops);
