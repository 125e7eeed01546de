"""The demo flows: realistic MSP troubleshooting trees, a procedure and a maintenance checklist."""

from __future__ import annotations

from typing import Any

WIFI_AP_OFFLINE = {
    "start_node_id": "q_scope",
    "nodes": [
        {
            "id": "q_scope",
            "type": "decision",
            "title": "How many access points are offline?",
            "description": "Check the controller (UniFi / Meraki dashboard) for AP status.",
            "options": [
                {"label": "Just one AP", "next": "q_power"},
                {"label": "Several or all APs", "next": "a_check_switch"},
            ],
        },
        {
            "id": "q_power",
            "type": "decision",
            "title": "Does the AP have power (LED lit)?",
            "help_text": "A solid white/blue LED means powered and adopted; no LED means no PoE.",
            "options": [
                {"label": "Yes, LED is lit", "next": "a_reboot"},
                {"label": "No LED at all", "next": "a_check_poe"},
            ],
        },
        {
            "id": "a_check_poe",
            "type": "action",
            "title": "Check the PoE port on the switch",
            "description": "Find the switch port the AP is patched to and confirm PoE is enabled and delivering power.",
            "commands": [
                {"language": "cisco", "code": "show power inline | include Gi1/0/12", "label": "Cisco PoE status"}
            ],
            "next": "q_poe_ok",
        },
        {
            "id": "q_poe_ok",
            "type": "decision",
            "title": "Is the port delivering PoE?",
            "options": [{"label": "Yes", "next": "s_replace_cable"}, {"label": "No", "next": "s_enable_poe"}],
        },
        {
            "id": "s_enable_poe",
            "type": "solution",
            "title": "Enable PoE on the switch port",
            "description": "Enable PoE (power inline auto), bounce the port and wait 2 minutes for the AP to adopt.",
            "commands": "conf t\ninterface Gi1/0/12\npower inline auto\nshutdown\nno shutdown",
        },
        {
            "id": "s_replace_cable",
            "type": "solution",
            "title": "Replace the patch cable or injector",
            "description": (
                "PoE is delivered but the AP has no power: the cable run or the injector is faulty. Replace and "
                "re-test."
            ),
        },
        {
            "id": "a_reboot",
            "type": "action",
            "title": "Reboot the AP from the controller",
            "description": "Use the controller to restart the AP, or hold reset for 5 s if it is not reachable.",
            "commands": [{"language": "bash", "code": "ssh admin@ap-lobby reboot", "label": "Reboot over SSH"}],
            "next": "q_back",
        },
        {
            "id": "q_back",
            "type": "decision",
            "title": "Did the AP come back online within 5 minutes?",
            "options": [{"label": "Yes", "next": "s_back_online"}, {"label": "No", "next": "s_rma"}],
        },
        {
            "id": "s_back_online",
            "type": "solution",
            "title": "AP back online",
            "description": "Confirm clients reconnect and note the firmware version in the ticket.",
        },
        {
            "id": "s_rma",
            "type": "solution",
            "title": "Factory reset and re-adopt, or RMA the AP",
            "description": "Factory reset, re-adopt on the controller; if it still fails open an RMA with the vendor.",
        },
        {
            "id": "a_check_switch",
            "type": "action",
            "title": "Check the uplink switch and controller",
            "description": "Several APs down usually means the switch, VLAN or controller is the problem.",
            "commands": [
                {"language": "cisco", "code": "show interfaces status | include connected", "label": "Port status"}
            ],
            "next": "s_switch",
        },
        {
            "id": "s_switch",
            "type": "solution",
            "title": "Restore the switch uplink / controller",
            "description": "Fix the uplink or management VLAN, then confirm every AP re-adopts.",
        },
    ],
}

VPN_SIGN_IN = {
    "start_node_id": "q_error",
    "nodes": [
        {
            "id": "q_error",
            "type": "decision",
            "title": "What does the VPN client say?",
            "description": "Ask the user for the exact message or a screenshot.",
            "options": [
                {"label": "Credentials rejected", "next": "a_verify_identity"},
                {"label": "Cannot reach server", "next": "a_check_internet"},
                {"label": "MFA prompt never arrives", "next": "a_mfa"},
            ],
        },
        {
            "id": "a_verify_identity",
            "type": "action",
            "title": "Verify identity and check the account in AD",
            "description": "Verify the caller, then check whether the account is locked or the password expired.",
            "commands": [
                {
                    "language": "powershell",
                    "code": "Get-ADUser jdoe -Properties LockedOut,PasswordExpired,PasswordLastSet",
                    "label": "Account status",
                }
            ],
            "next": "q_locked",
        },
        {
            "id": "q_locked",
            "type": "decision",
            "title": "Is the account locked or the password expired?",
            "options": [
                {"label": "Locked out", "next": "s_unlock"},
                {"label": "Password expired", "next": "s_reset"},
                {"label": "Neither", "next": "s_group"},
            ],
        },
        {
            "id": "s_unlock",
            "type": "solution",
            "title": "Unlock the account",
            "commands": [{"language": "powershell", "code": "Unlock-ADAccount -Identity jdoe", "label": "Unlock"}],
            "description": "Unlock, then find the device with the stale password that caused the lockout.",
        },
        {
            "id": "s_reset",
            "type": "solution",
            "title": "Reset the password with the user",
            "description": "Reset via the self-service portal or AD and have the user sign in to Windows first.",
        },
        {
            "id": "s_group",
            "type": "solution",
            "title": "Add the user to the VPN access group",
            "description": (
                "The account is fine but not in VPN-Users; add it and let the user reconnect after 15 minutes."
            ),
        },
        {
            "id": "a_check_internet",
            "type": "action",
            "title": "Check the user's internet connection and DNS",
            "description": "Have the user open a website and resolve the VPN hostname.",
            "commands": [
                {
                    "language": "powershell",
                    "code": "Resolve-DnsName vpn.example.com; Test-NetConnection vpn.example.com -Port 443",
                    "label": "Reachability",
                }
            ],
            "next": "s_network",
        },
        {
            "id": "s_network",
            "type": "solution",
            "title": "Fix local network or captive portal",
            "description": "Hotel/guest Wi-Fi captive portals and blocked UDP are the usual causes; try a hotspot.",
        },
        {
            "id": "a_mfa",
            "type": "action",
            "title": "Check the MFA registration",
            "description": "Look up the user's MFA methods in the identity provider and the push-notification log.",
            "next": "s_mfa",
        },
        {
            "id": "s_mfa",
            "type": "solution",
            "title": "Re-register the authenticator app",
            "description": "Remove the stale device registration and walk the user through enrolling again.",
        },
    ],
}

NEW_LAPTOP_SETUP = {
    "steps": [
        {"id": "sec_prep", "type": "section_header", "title": "Preparation"},
        {
            "id": "st_asset",
            "type": "procedure_step",
            "title": "Record the asset tag and serial number",
            "description": "Add the laptop to the asset register with the user's name.",
            "expected_outcome": "Asset exists in the register",
            "commands": "wmic bios get serialnumber",
        },
        {
            "id": "st_autopilot",
            "type": "procedure_step",
            "title": "Register the device in Autopilot",
            "description": "Upload the hardware hash so the device enrols on first boot.",
            "expected_outcome": "Device shows as Assigned in Intune",
            "commands": [
                {"language": "powershell", "code": "Get-WindowsAutopilotInfo -Online", "label": "Upload hash"}
            ],
            "library_visibility": "public",
        },
        {"id": "sec_config", "type": "section_header", "title": "Configuration"},
        {
            "id": "st_bitlocker",
            "type": "procedure_step",
            "title": "Confirm BitLocker is on and the key is escrowed",
            "description": "Check encryption status and that the recovery key is in Entra ID.",
            "expected_outcome": "Protection On, key visible in Entra",
            "commands": [{"language": "powershell", "code": "manage-bde -status C:", "label": "BitLocker status"}],
        },
        {
            "id": "st_apps",
            "type": "procedure_step",
            "title": "Install the standard application set",
            "description": "Office, Teams, the VPN client and the RMM agent via Company Portal.",
            "expected_outcome": "All required apps show Installed",
        },
        {"id": "sec_handover", "type": "section_header", "title": "Handover"},
        {
            "id": "st_handover",
            "type": "procedure_step",
            "title": "Hand over and sign in with the user",
            "description": "User signs in, sets up Windows Hello and MFA; walk through the VPN.",
            "expected_outcome": "User signed in and can reach the file share",
        },
        {"id": "end", "type": "procedure_end", "title": "Laptop ready"},
    ]
}

MONTHLY_SERVER_MAINTENANCE = {
    "steps": [
        {"id": "sec_backup", "type": "section_header", "title": "Backups"},
        {
            "id": "st_backup_check",
            "type": "procedure_step",
            "title": "Verify last night's backup jobs succeeded",
            "description": "Check the backup console for failed or warning jobs.",
            "expected_outcome": "All jobs green",
            "commands": "Get-VBRJob | Get-VBRJobSession -Last",
        },
        {
            "id": "st_restore_test",
            "type": "procedure_step",
            "title": "Test-restore one file",
            "description": "Restore a random file to an alternate location and open it.",
            "expected_outcome": "File opens correctly",
        },
        {"id": "sec_patch", "type": "section_header", "title": "Patching"},
        {
            "id": "st_patch",
            "type": "procedure_step",
            "title": "Install approved Windows updates",
            "description": "Approve and install this month's updates during the maintenance window.",
            "expected_outcome": "No pending updates after reboot",
            "commands": [
                {
                    "language": "powershell",
                    "code": "Install-WindowsUpdate -AcceptAll -AutoReboot",
                    "label": "PSWindowsUpdate",
                }
            ],
        },
        {
            "id": "st_disk",
            "type": "procedure_step",
            "title": "Check free disk space on every volume",
            "description": "Flag any volume under 15% free.",
            "expected_outcome": "Every volume above 15% free",
            "commands": "Get-Volume | Select DriveLetter, SizeRemaining, Size",
        },
        {"id": "end", "type": "procedure_end", "title": "Maintenance complete"},
    ]
}

DEMO_FLOWS: list[tuple[str, str, str, dict[str, Any], bool]] = [
    (
        "Wi-Fi AP offline",
        "An access point shows offline in the controller or users report no Wi-Fi in an area.",
        "troubleshooting",
        WIFI_AP_OFFLINE,
        True,
    ),
    (
        "User can't sign in to VPN",
        "Remote user cannot connect to the company VPN.",
        "troubleshooting",
        VPN_SIGN_IN,
        False,
    ),
    (
        "New laptop setup",
        "Prepare and hand over a new Windows laptop with Autopilot and Intune.",
        "procedural",
        NEW_LAPTOP_SETUP,
        False,
    ),
    (
        "Monthly server maintenance",
        "Backups, patching and disk checks for a client's Windows servers.",
        "maintenance",
        MONTHLY_SERVER_MAINTENANCE,
        False,
    ),
]
