from citesmart.cli import main

main()
