from nerveglide.cli.main import main

main()
