-- Emails are compared in Unicode NFC from now on (users/service.ts, normaliseEmail). Addresses
-- stored decomposed are recomposed, unless that would collide with an account that has the
-- composed form already (the duplicate this fixes): those are left for an operator to merge.
update users u set email = normalize(u.email, NFC)
where u.email is not nfc normalized
  and not exists (select 1 from users v where v.email = normalize(u.email, NFC));
