#!/usr/bin/python3
"""pynetbox conformance: the real NetBox client against netbox-emulator (or a real NetBox).

usage: pynetbox_conformance.py URL TOKEN VERSION
Exits non-zero with the failing check on the first failure; prints
"pynetbox conformance: OK (<n> checks)" on success. Creates its own objects (prefixed
"conf-") and deletes what it can afterwards, so it can run against a real NetBox too.
"""

import sys
import uuid

import pynetbox

CHECKS = 0


def check(description, condition):
    global CHECKS
    CHECKS += 1
    if not condition:
        print(f"FAILED: {description}")
        sys.exit(1)


def main():
    url, token, version = sys.argv[1], sys.argv[2], sys.argv[3]
    nb = pynetbox.api(url, token=token)
    run = uuid.uuid4().hex[:6]
    prefix = f"conf-{run}"

    # Version header and status, as pynetbox reads them.
    check("API-Version header", nb.version == version)
    status = nb.status()
    check("status netbox-version", str(status["netbox-version"]).startswith(version))

    # create / get / filter
    site = nb.dcim.sites.create(name=f"{prefix} site", slug=f"{prefix}-site")
    check("site created with an id", site.id > 0)
    check("choice rendered as value/label", site.status.value == "active")
    check("get by id", nb.dcim.sites.get(site.id).name == f"{prefix} site")
    check("get by filter", nb.dcim.sites.get(slug=f"{prefix}-site").id == site.id)
    check("get of a missing id is None", nb.dcim.sites.get(999999) is None)

    cluster_type = nb.virtualization.cluster_types.create(name=f"{prefix} pve", slug=f"{prefix}-pve")
    cluster = nb.virtualization.clusters.create(
        name=f"{prefix} cluster", type=cluster_type.id, scope_type="dcim.site", scope_id=site.id)
    check("nested relation rendered", cluster.type.slug == f"{prefix}-pve")

    # custom fields and tags
    field_name = f"conf_{run}_vmid"
    custom_field = nb.extras.custom_fields.create(
        name=field_name, type="integer", object_types=["virtualization.virtualmachine"])
    tag = nb.extras.tags.create(name=f"{prefix} tag", slug=f"{prefix}-tag")

    # a select custom field takes its values from a choice set
    choice_set = nb.extras.custom_field_choice_sets.create(
        name=f"{prefix} tiers", extra_choices=[["gold", "Gold"], ["silver", "Silver"]])
    check("choice set counts its choices", choice_set.choices_count == 2)
    tier_name = f"conf_{run}_tier"
    tier_field = nb.extras.custom_fields.create(
        name=tier_name, type="select", choice_set=choice_set.id,
        object_types=["virtualization.virtualmachine"])
    check("select field names its choice set", tier_field.choice_set.id == choice_set.id)

    # bulk create, across several pages afterwards
    vms = nb.virtualization.virtual_machines.create([
        {"name": f"{prefix}-vm{i}", "cluster": cluster.id, "memory": 1024,
         "custom_fields": {field_name: 100 + i},
         "tags": [{"name": tag.name, "slug": tag.slug}]}
        for i in range(120)])
    check("bulk create returns every object", len(vms) == 120)
    check("custom field value stored", vms[5].custom_fields[field_name] == 105)
    check("tag stored", vms[0].tags[0].slug == tag.slug)
    check("cluster allocated_memory sums its VMs",
          nb.virtualization.clusters.get(cluster.id).allocated_memory == 120 * 1024)

    everything = list(nb.virtualization.virtual_machines.filter(cluster_id=cluster.id, limit=50))
    check(".filter(limit=50) walks every page", len(everything) == 120)
    everything[0].custom_fields[tier_name] = "gold"
    check("a select value from the set is saved", everything[0].save())
    try:
        everything[1].update({"custom_fields": {tier_name: "bronze"}})
        check("a select value outside the set raises RequestError", False)
    except pynetbox.RequestError as error:
        check("a value outside the choice set is a 400", error.req.status_code == 400)
    check("pages do not repeat objects", len({vm.id for vm in everything}) == 120)
    all_vms = [vm for vm in nb.virtualization.virtual_machines.all(limit=40)
               if vm.name.startswith(prefix)]
    check(".all() across pages", len(all_vms) == 120)
    check("count()", nb.virtualization.virtual_machines.count(cluster_id=cluster.id) == 120)
    by_cf = list(nb.virtualization.virtual_machines.filter(**{f"cf_{field_name}": 105}))
    check("custom field filter", len(by_cf) == 1 and by_cf[0].name == f"{prefix}-vm5")
    check("tag filter", nb.virtualization.virtual_machines.count(tag=tag.slug) == 120)
    check("lookup filter __ic",
          nb.virtualization.virtual_machines.count(name__ic=f"{prefix}-vm11") == 11)

    # update through Record.save() and Record.update()
    vm = nb.virtualization.virtual_machines.get(name=f"{prefix}-vm1")
    vm.memory = 4096
    vm.custom_fields[field_name] = 999
    check("save() reports a change", vm.save())
    fresh = nb.virtualization.virtual_machines.get(vm.id)
    check("save() persisted", fresh.memory == 4096 and fresh.custom_fields[field_name] == 999)
    check("update()", fresh.update({"description": "updated"}))
    check("update() persisted",
          nb.virtualization.virtual_machines.get(vm.id).description == "updated")

    # bulk update and bulk delete through the endpoint
    updated = nb.virtualization.virtual_machines.update(
        [{"id": v.id, "comments": "bulk"} for v in vms[:10]])
    check("bulk update", len(updated) == 10)
    check("bulk update persisted",
          nb.virtualization.virtual_machines.count(cluster_id=cluster.id, comments="bulk") == 10)
    check("bulk delete", nb.virtualization.virtual_machines.delete(vms[100:]))
    check("bulk delete persisted",
          nb.virtualization.virtual_machines.count(cluster_id=cluster.id) == 100)

    # delete
    check("delete()", fresh.delete())
    check("deleted object is gone", nb.virtualization.virtual_machines.get(vm.id) is None)

    # error on a duplicate
    try:
        nb.dcim.sites.create(name=f"{prefix} site", slug=f"{prefix}-other")
        check("duplicate site name raises RequestError", False)
    except pynetbox.RequestError as error:
        check("duplicate is a 400", error.req.status_code == 400)
        check("duplicate names the field", "name" in error.error)

    # a protected delete is refused
    try:
        site.delete()
        check("deleting a site with VMs raises RequestError", False)
    except pynetbox.RequestError as error:
        check("protected delete is a 409", error.req.status_code == 409)

    # 4.5 object ownership: an optional owner on most models
    owner = None
    if tuple(int(part) for part in version.split(".")[:2]) >= (4, 5):
        owner = nb.users.owners.create(name=f"{prefix} owner")
        site.update({"owner": owner.id})
        check("owner rendered nested", nb.dcim.sites.get(site.id).owner.id == owner.id)
        check("owner filter", nb.dcim.sites.count(owner_id=owner.id) == 1)

    # clean up (works against a real NetBox as well)
    nb.virtualization.virtual_machines.delete(
        list(nb.virtualization.virtual_machines.filter(cluster_id=cluster.id)))
    cluster.delete()
    cluster_type.delete()
    site.delete()
    if owner is not None:
        owner.delete()
    tag.delete()
    custom_field.delete()
    tier_field.delete()
    choice_set.delete()
    check("cleaned up", nb.dcim.sites.get(slug=f"{prefix}-site") is None)

    print(f"pynetbox conformance: OK ({CHECKS} checks)")


if __name__ == "__main__":
    main()
