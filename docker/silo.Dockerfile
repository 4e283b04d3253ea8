# The silo (`orchestrator serve`): built with the SDK, run on the chiseled ASP.NET runtime (no shell,
# no package manager, non-root by default). Build from the repository root:
#   docker build -f docker/silo.Dockerfile -t orchestrator/silo .
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/*/*.csproj ./src-projects/
RUN for p in src-projects/*.csproj; do n=$(basename "$p" .csproj); mkdir -p "src/$n" && mv "$p" "src/$n/"; done
RUN dotnet restore src/Orchestrator.Cli/Orchestrator.Cli.csproj
COPY src/ src/
RUN dotnet publish src/Orchestrator.Cli/Orchestrator.Cli.csproj -c Release --no-restore -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
# 11111 silo-to-silo, 30000 client gateway, 5080 gRPC (HTTP/2), 5081 HTTP/1.1: health, /metrics, /status.
EXPOSE 11111 30000 5080 5081
ENV DOTNET_gcServer=1 \
    Orchestrator__SiloPort=11111 \
    Orchestrator__GatewayPort=30000 \
    Orchestrator__Api__Url=http://0.0.0.0:5080 \
    Orchestrator__Api__HttpUrl=http://0.0.0.0:5081
# The chiseled image's non-root user (uid 1654).
USER $APP_UID
# No shell or curl in the image: the CLI probes its own liveness endpoint (exit 0 healthy, 1 not).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["dotnet", "/app/orchestrator.dll", "health", "--url", "http://127.0.0.1:5081/health/live"]
# SIGTERM starts Orleans' graceful shutdown (Orchestrator:ShutdownTimeout, 30 s by default).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/orchestrator.dll", "serve"]
