from painfhir.cli import main

main()
