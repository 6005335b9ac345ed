from incidentdesk.cli import main

main()
