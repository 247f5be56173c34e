#!/usr/bin/python3
"""pynetbox conformance: the real NetBox client against netbox-emulator (or a real NetBox).

usage: pynetbox_conformance.py URL TOKEN VERSION
Exits non-zero with the failing check on the first failure; prints
"pynetbox conformance: OK (<n> checks)" on success. Creates its own objects (prefixed
"conf-") and deletes what it can afterwards, so it can run against a real NetBox too.
"""

import json
import sys
import uuid

import pynetbox
import yaml

CHECKS = 0


def check(description, condition):
    global CHECKS
    CHECKS += 1
    if not condition:
        print(f"FAILED: {description}")
        sys.exit(1)


def at_least(version, wanted):
    return tuple(int(part) for part in version.split(".")[:2]) >= wanted


def choices_and_schema(nb, url, token, version):
    """OPTIONS metadata as pynetbox's Endpoint.choices() reads it; /api/schema/ as JSON and YAML."""
    statuses = nb.dcim.sites.choices()["status"]
    check("choices() lists site statuses",
          {"value": "active", "display_name": "Active"} in statuses)
    check("choices() of racks", "airflow" in nb.dcim.racks.choices())
    check("choices() of services",
          [c["value"] for c in nb.ipam.services.choices()["protocol"]] == ["tcp", "udp", "sctp"])
    # v2 tokens (nbt_...) are Bearer tokens on a real NetBox; the emulator takes either keyword.
    authorization = f"{'Bearer' if token.startswith('nbt_') else 'Token'} {token}"
    headers = {"Authorization": authorization, "Accept": "application/json"}
    answer = nb.http_session.get(f"{url.rstrip('/')}/api/schema/?format=json", headers=headers)
    check("schema ?format=json is 200", answer.status_code == 200)
    document = json.loads(answer.text)
    check("schema is OpenAPI 3", str(document.get("openapi", "")).startswith("3."))
    check("schema names the version", str(document["info"]["version"]).startswith(version))
    check("schema lists the regions", "/api/dcim/regions/" in document["paths"])
    check("schema lists the device filters",
          any(p["name"] == "site_id" for p in document["paths"]["/api/dcim/devices/"]["get"]["parameters"]))
    answer = nb.http_session.get(f"{url.rstrip('/')}/api/schema/",
                                 headers={"Authorization": authorization})
    check("schema as YAML is 200", answer.status_code == 200)
    check("YAML and JSON agree", yaml.safe_load(answer.text)["info"] == document["info"])


def places_and_services(nb, prefix, version, site, vm):
    """Region, site group, location, rack and service CRUD; returns the objects to clean up."""
    region = nb.dcim.regions.create(name=f"{prefix} europe", slug=f"{prefix}-europe")
    child = nb.dcim.regions.create(name=f"{prefix} france", slug=f"{prefix}-france",
                                   parent=region.id)
    check("region tree depth", child._depth == 1 and child.parent.id == region.id)
    check("region filter by parent", nb.dcim.regions.count(parent_id=region.id) == 1)
    try:
        region.update({"parent": child.id})
        check("a region under its own child raises RequestError", False)
    except pynetbox.RequestError as error:
        check("a region cycle is a 400 on parent", "parent" in error.error)
    group = nb.dcim.site_groups.create(name=f"{prefix} edge", slug=f"{prefix}-edge")
    check("site joins region and group", site.update({"region": child.id, "group": group.id}))
    placed = nb.dcim.sites.get(site.id)
    check("site renders its region", placed.region.id == child.id and placed.group.id == group.id)
    check("region counts its sites", nb.dcim.regions.get(child.id).site_count == 1)

    hall = nb.dcim.locations.create(name=f"{prefix} hall", slug=f"{prefix}-hall", site=site.id)
    room = nb.dcim.locations.create(name=f"{prefix} room", slug=f"{prefix}-room", site=site.id,
                                    parent=hall.id)
    check("location depth", room._depth == 1)
    rack = nb.dcim.racks.create(name=f"{prefix} rack", site=site.id, location=room.id,
                                u_height=42, status="active")
    check("rack in its location", rack.location.id == room.id and rack.u_height == 42)
    rack.serial = "SN-1"
    check("rack save()", rack.save())
    check("location counts racks", nb.dcim.locations.get(room.id).rack_count == 1)

    body = {"name": f"{prefix} ssh", "protocol": "tcp", "ports": [22, 2222]}
    if at_least(version, (4, 3)):
        body.update(parent_object_type="virtualization.virtualmachine", parent_object_id=vm.id)
    else:
        body.update(virtual_machine=vm.id)
    service = nb.ipam.services.create(**body)
    check("service ports", sorted(service.ports) == [22, 2222])
    check("service update", service.update({"ports": [22]}))
    check("service persisted", nb.ipam.services.get(service.id).ports == [22])
    check("service delete", service.delete())
    rack.delete()
    room.delete()
    hall.delete()
    site.update({"region": None, "group": None})
    group.delete()
    child.delete()
    region.delete()
    check("places cleaned up", nb.dcim.regions.get(region.id) is None)


def main():
    url, token, version = sys.argv[1], sys.argv[2], sys.argv[3]
    # Debian's pynetbox or the newest from PyPI (scripts/client-venv): say which one ran.
    print(f"pynetbox conformance: pynetbox {pynetbox.__version__} on Python "
          f"{sys.version.split()[0]} ({sys.executable})", flush=True)
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

    choices_and_schema(nb, url, token, version)
    places_and_services(nb, prefix, version, site, vms[50])

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
    if at_least(version, (4, 5)):
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
