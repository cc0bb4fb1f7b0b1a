-- Joining or leaving a group also changes who may use each destination where the group holds grants: a connector
-- long-polling that destination's grants must hear of it at once (to refuse a user who left, whose token still
-- names the group), although the grant list it watches stays the same.
CREATE OR REPLACE FUNCTION "infra_group_members_changed"() RETURNS TRIGGER AS $$
DECLARE
  member "group_members"%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN member := OLD; ELSE member := NEW; END IF;
  PERFORM "infra_bump_update_index"(ARRAY['user:' || member."user_id"] || ARRAY(
    SELECT DISTINCT 'destination:' || "destination" FROM "grants" WHERE "group_id" = member."group_id"
  ));
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
