// The netbox-proxbox plugin's models (/api/plugins/proxbox/...).

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

namespace {

// A unique_together / UniqueConstraint over several fields, worded as Django words it
// ("<Model> with this <Field> and <Field> already exists.").
UniqueRule unique_together(std::vector<std::string> fields, const std::string& message) {
  return {std::move(fields), false, {}, "__all__", message, "", ""};
}

Field required_datetime(std::string name) {
  return make(std::move(name), FieldKind::DateTime).req();
}

Field nullable(Field field) {
  return field.null();
}

// The plugin's ProxmoxEndpoint (endpoints/proxmox) and ProxmoxNode (nodes): what its
// replications and backup routines refer to. The endpoint's connection fields only; its secrets
// (kept encrypted by the plugin), SSH, sync-mode and overwrite settings are not emulated.
void declare_endpoint_and_node(std::vector<Model>& models) {
  {
    Model m = base("netbox_proxbox.proxmoxendpoint", "plugins/proxbox/endpoints/proxmox",
                   "ProxmoxEndpoint", "Proxmox Endpoint");
    m.fields = {
        str("name", 255).null().def("Proxmox Endpoint"),
        fk("ip_address", "ipam.ipaddress", OnDelete::Protect).null(),
        str("domain", 255).null(),
        integer("port").def(8006),
        choice("mode",
               {{"undefined", "Undefined"}, {"standalone", "Standalone"}, {"cluster", "Cluster"}})
            .def("undefined"),
        str("version", 20).null(),
        str("repoid", 16).null(),
        str("username", 255).def("root@pam"),
        str("token_name", 255).def(""),
        boolean("verify_ssl", false),
        boolean("allow_writes", false),
    };
    m.brief = {"id", "url", "display", "name"};
    m.search = {"name", "domain"};
    m.not_emulated = {"password",    "token_value",   "environment",  "access_methods", "timeout",
                      "max_retries", "retry_backoff", "ssh_username", "ssh_port"};
    models.push_back(std::move(m));
  }
  {
    Model m =
        base("netbox_proxbox.proxmoxnode", "plugins/proxbox/nodes", "ProxmoxNode", "Proxmox node");
    m.fields = {
        fk("endpoint", "netbox_proxbox.proxmoxendpoint", OnDelete::Cascade).req(),
        fk("netbox_device", "dcim.device", OnDelete::SetNull).null(),
        str("name", 255).req(),
        nullable(integer("node_id")),
        str("ip_address", 39).req(),
        boolean("online", false),
        boolean("local", false),
        nullable(number("cpu_usage")),
        nullable(integer("max_cpu")),
        nullable(integer("memory_usage")),
        nullable(integer("max_memory")),
        str("ssl_fingerprint", 255).def(""),
        str("support_level", 100).def(""),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {
        unique_together({"endpoint", "name"},
                        "Proxmox node with this Proxmox endpoint and Node name already exists.")};
    m.not_emulated = {"proxmox_cluster"};
    models.push_back(std::move(m));
  }
}

// VM task history, replications and backup routines (models/vm_task_history.py,
// replication.py, backup_routine.py of the plugin; choices from its choices.py).
void declare_jobs_and_tasks(std::vector<Model>& models) {
  const std::vector<Choice> active_or_stale{{"active", "Active"}, {"stale", "Stale"}};
  {
    Model m = base("netbox_proxbox.vmtaskhistory", "plugins/proxbox/task-history", "VMTaskHistory",
                   "VM Task History");
    m.fields = {
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        str("vm_type", 16).def("unknown"),
        str("upid", 255).req(),
        str("node", 255).req(),
        nullable(integer("pid")),
        datetime("pstart"),
        str("task_id", 255).null(),
        str("task_type", 255).req(),
        str("username", 255).req(),
        required_datetime("start_time"),
        datetime("end_time"),
        str("description").req(),
        str("status", 255).req(),
        str("task_state", 255).null(),
        str("exitstatus", 255).null(),
    };
    m.brief = {"id", "url", "display", "upid"};
    m.unique = {unique_field("VM Task History", "upid")};
    m.display = "{description}";
    m.search = {"upid", "description", "task_type", "username"};
    m.ordering = "id";
    models.push_back(std::move(m));
  }
  {
    Model m = base("netbox_proxbox.replication", "plugins/proxbox/replications", "Replication",
                   "Replication");
    m.fields = {
        fk("endpoint", "netbox_proxbox.proxmoxendpoint", OnDelete::Cascade).null(),
        str("replication_id", 255).req(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        fk("proxmox_node", "netbox_proxbox.proxmoxnode", OnDelete::SetNull).null(),
        integer("guest").req(),
        str("target", 255).req(),
        choice("job_type", {{"local", "Local"}}).def("local"),
        str("schedule", 128).def(""),
        nullable(number("rate")),
        str("comment").null(),
        boolean("disable", false),
        str("source", 255).null(),
        integer("jobnum").req(),
        choice("remove_job", {{"local", "Local"}, {"full", "Full"}}).null(),
        choice("status", active_or_stale).def("active"),
        make("raw_config", FieldKind::Json).def(json::object{}),
    };
    m.brief = {"id", "url", "display", "replication_id"};
    m.unique = {unique_together(
        {"endpoint", "replication_id"},
        "Replication with this Proxmox endpoint and Replication id already exists.")};
    m.display = "{replication_id}";
    m.search = {"replication_id", "target", "comment"};
    m.ordering = "id";
    models.push_back(std::move(m));
  }
  {
    Model m = base("netbox_proxbox.backuproutine", "plugins/proxbox/backup-routines",
                   "BackupRoutine", "Backup Routine");
    m.fields = {
        fk("endpoint", "netbox_proxbox.proxmoxendpoint", OnDelete::Cascade).req(),
        str("job_id", 255).req(),
        boolean("enabled", true),
        str("schedule", 255).def(""),
        datetime("next_run"),
        fk("node", "netbox_proxbox.proxmoxnode", OnDelete::SetNull).null(),
        fk("storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        make("selection", FieldKind::Json).def(json::array{}),
        str("comment").def(""),
        choice("status", active_or_stale).def("active"),
        nullable(integer("keep_last")),
        nullable(integer("keep_daily")),
        nullable(integer("keep_weekly")),
        nullable(integer("keep_monthly")),
        nullable(integer("keep_yearly")),
        make("keep_all", FieldKind::Boolean).null(),
        str("notes_template").def(""),
        nullable(integer("bwlimit")),
        nullable(integer("zstd")),
        nullable(integer("io_workers")),
        str("fleecing", 255).def(""),
        fk("fleecing_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        make("repeat_missed", FieldKind::Boolean).null(),
        str("pbs_change_detection_mode", 50).def(""),
        make("raw_config", FieldKind::Json).def(json::object{}),
    };
    m.brief = {"id", "url", "display", "job_id"};
    m.unique = {unique_together({"endpoint", "job_id"},
                                "Backup Routine with this Proxmox endpoint and Job ID already "
                                "exists.")};
    m.display = "{job_id}";
    m.search = {"job_id", "schedule", "comment"};
    m.ordering = "id";
    models.push_back(std::move(m));
  }
}

}  // namespace

void declare_plugin_proxbox(std::vector<Model>& models) {
  declare_endpoint_and_node(models);
  {
    Model m = base("netbox_proxbox.proxmoxstorage", "plugins/proxbox/storage", "ProxmoxStorage",
                   "Proxmox Storage");
    m.fields = {
        fk("cluster", "virtualization.cluster", OnDelete::Cascade).req(),
        str("name", 255).req(),
        str("storage_type", 100).null(),
        str("content", 255).null(),
        str("path", 255).null(),
        str("nodes", 255).null(),
        boolean("shared", false),
        boolean("enabled", true),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {{{"cluster", "name"},
                 false,
                 {},
                 "__all__",
                 "Proxmox Storage with this Cluster and Name already exists.",
                 "",
                 ""}};
    m.display = "{name}";
    models.push_back(std::move(m));
  }
  {
    Model m = base("netbox_proxbox.vmbackup", "plugins/proxbox/backups", "VMBackup", "VM Backup");
    m.fields = {
        fk("proxmox_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        str("storage", 255).null(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        choice("subtype", {{"undefined", "Undefined"}, {"lxc", "LXC"}, {"qemu", "QEMU"}})
            .def("undefined"),
        choice("format", {{"undefined", "Undefined"},
                          {"pbs-vm", "PBS VM"},
                          {"pbs-ct", "PBS CT"},
                          {"iso", "ISO"},
                          {"tzst", "TZST"},
                          {"tgz", "TGZ"},
                          {"qcow2", "QCOW2"},
                          {"raw", "RAW"},
                          {"tar", "TAR"},
                          {"tbz", "TBZ"}})
            .def("undefined"),
        datetime("creation_time"),
        integer("size").null(),
        str("notes").null(),
        str("volume_id", 255).null(),
        integer("vmid").null(),
        integer("used").null(),
        boolean("encrypted", false),
        str("verification_state", 255).null(),
        str("verification_upid", 255).null(),
    };
    m.brief = {"id", "url", "display", "volume_id"};
    m.unique = {{{"storage", "virtual_machine", "volume_id"},
                 false,
                 {},
                 "__all__",
                 "VM Backup with this Storage, Virtual machine and Volume id already exists.",
                 "",
                 ""}};
    m.display = "{volume_id}";
    m.search = {"volume_id", "storage", "notes"};
    m.ordering = "id";
    models.push_back(std::move(m));
  }
  {
    Model m =
        base("netbox_proxbox.vmsnapshot", "plugins/proxbox/snapshots", "VMSnapshot", "VM Snapshot");
    m.fields = {
        fk("proxmox_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        str("name", 255).req(),
        str("description").null(),
        integer("vmid").req(),
        str("node", 255).req(),
        datetime("snaptime"),
        str("parent", 255).null(),
        choice("subtype", {{"qemu", "QEMU"}, {"lxc", "LXC"}}).def("qemu"),
        choice("status", {{"active", "Active"}, {"stale", "Stale"}}).def("active"),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {{{"vmid", "name", "node"},
                 false,
                 {},
                 "__all__",
                 "VM Snapshot with this Vmid, Name and Node already exists.",
                 "",
                 ""}};
    models.push_back(std::move(m));
  }
  declare_jobs_and_tasks(models);
}

}  // namespace pbx::netbox::models
